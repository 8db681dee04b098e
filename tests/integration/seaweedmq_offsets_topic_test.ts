// The `__consumer_offsets` suite (tests/conformance/offsets_topic_test.ts), unchanged, against gateways on the
// SeaweedMQ backend of a real SeaweedFS started for this module (tests/helpers/seaweedfs.ts).
import { suiteOnSeaweedMQ } from "../helpers/seaweedfs.ts";

await suiteOnSeaweedMQ(() => import("../conformance/offsets_topic_test.ts"));
