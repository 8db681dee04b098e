// The librdkafka partitions/DeleteRecords/timestamps/deletion suite (tests/conformance/
// admin_partitions_librdkafka_test.ts), unchanged, against gateways on the SeaweedMQ backend of a real SeaweedFS.
import { suiteOnSeaweedMQ } from "../helpers/seaweedfs.ts";

await suiteOnSeaweedMQ(() => import("../conformance/admin_partitions_librdkafka_test.ts"));
