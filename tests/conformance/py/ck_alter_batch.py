"""One legacy AlterConfigs request with several resources, as librdkafka's 0081 test sends it (confluent-kafka).

Usage: ck_alter_batch.py BOOTSTRAP < resources.json
resources.json: [{"type": "topic"|"broker", "name": NAME, "config": {k: v}}, ...]
Prints one JSON line: [{"error": null | Kafka error name, "message": ...}, ...] in the order given.
"""
import json
import sys

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

admin = AdminClient({"bootstrap.servers": sys.argv[1]})
resources = [
    ConfigResource(ResourceType.TOPIC if r["type"] == "topic" else ResourceType.BROKER, r["name"],
                   set_config=r["config"])
    for r in json.load(sys.stdin)
]
futures = admin.alter_configs(resources, request_timeout=20)
out = []
for res in resources:
    try:
        futures[res].result()
        out.append({"error": None, "message": None})
    except KafkaException as e:
        err = e.args[0]
        out.append({"error": err.name(), "message": err.str()} if isinstance(err, KafkaError)
                   else {"error": "UNKNOWN", "message": str(e)})
print(json.dumps(out), flush=True)
