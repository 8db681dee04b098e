// The librdkafka group suite (tests/conformance/librdkafka_groups_test.ts: confluent-kafka, kcat -G), unchanged,
// against gateways on the SeaweedMQ backend of a real SeaweedFS started for this module (tests/helpers/seaweedfs.ts).
import { suiteOnSeaweedMQ } from "../helpers/seaweedfs.ts";

await suiteOnSeaweedMQ(() => import("../conformance/librdkafka_groups_test.ts"));
