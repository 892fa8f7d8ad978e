#!/usr/bin/python3
"""librdkafka's transactional producer (Debian's python3-confluent-kafka over librdkafka 2.0) for
test/e2e/rdkafka-transactions.test.ts: runs the transactions a JSON plan names, each one sending
its values round robin over the topic's partitions, then committing or aborting it, and prints
one JSON report line. `--hang` leaves the last transaction open and sleeps (the test kills it).

Usage: rdkafka_txn.py BROKERS TOPIC PARTITIONS TRANSACTIONAL_ID PLAN_JSON [--hang]
PLAN_JSON: [{"values": ["a", "b"], "commit": true}, ...]
"""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer


def main() -> None:
    brokers, topic, partitions, transactional_id, plan = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
    hang = "--hang" in sys.argv[6:]
    producer = Producer({
        "bootstrap.servers": brokers,
        "transactional.id": transactional_id,
        "transaction.timeout.ms": 5000,
        "enable.idempotence": True,
        "linger.ms": 5,
    })
    errors = []
    delivered = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append([msg.partition(), msg.offset(), msg.value().decode()])

    producer.init_transactions(10)
    outcomes = []
    for i, txn in enumerate(plan):
        producer.begin_transaction()
        for j, value in enumerate(txn["values"]):
            producer.produce(topic, value=value.encode(), partition=j % partitions, on_delivery=on_delivery)
        producer.flush(10)
        if hang and i == len(plan) - 1:
            print(json.dumps({"hanging": True, "delivered": delivered, "errors": errors}), flush=True)
            time.sleep(600)
        try:
            if txn["commit"]:
                producer.commit_transaction(10)
            else:
                producer.abort_transaction(10)
            outcomes.append("committed" if txn["commit"] else "aborted")
        except KafkaException as e:
            outcomes.append("failed: " + str(e))
    print(json.dumps({"outcomes": outcomes, "delivered": delivered, "errors": errors}), flush=True)


main()
