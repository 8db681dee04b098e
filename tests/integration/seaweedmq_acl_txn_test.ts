// The transactions-under-ACLs suite (tests/conformance/acl_txn_clients_test.ts: confluent-kafka as a SCRAM user
// refused or allowed by the transactional id's, topic's and group's ACLs), unchanged, against a gateway on the
// SeaweedMQ backend of a real SeaweedFS started for this module (ACLs, SCRAM users and the transaction log in the
// filer).
import { suiteOnSeaweedMQ } from "../helpers/seaweedfs.ts";

await suiteOnSeaweedMQ(() => import("../conformance/acl_txn_clients_test.ts"));
