#!/usr/bin/python3
"""librdkafka's transactional producer (Debian's python3-confluent-kafka) in the transactional
chaos run (`test/chaos/cluster.ts --transactions --txn-client librdkafka`, test/chaos/txn-workload.ts).

Runs transactions until stdin closes, each as the kafkajs producers of that run do: one record
(`t<index>.<txn>.<n>`) to each of 1-3 random partitions, the offsets group's offset txn + 1 on
partition 0 sent in it, then a commit, or an abort one time in four. Prints one JSON line per step:
  {"begin": n, "records": [[value, partition], ...]}   before anything of transaction n is sent
  {"delivered": [value, partition, offset]}            a record acknowledged
  {"commit": n}                                        before its commit is asked for
  {"committed": n}                                     once the commit is answered
  {"error": "..."}                                     a failed step; the transaction is aborted if librdkafka
                                                       can, else the producer is replaced by a new one with the
                                                       same transactional id (its InitProducerId fences the old one)

Usage: rdkafka_txn_chaos.py BROKERS TOPIC PARTITIONS INDEX SEED TRANSACTIONAL_ID OFFSETS_GROUP
With RDKAFKA_DEBUG set (librdkafka's `debug` contexts, e.g. eos,protocol) librdkafka logs them to stderr.
"""
import faulthandler
import json
import os
import signal
import random
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

STEP_TIMEOUT_S = 30
STOP_CONNECT_S = 60
ABORT_SHARE = 0.25
PARTITIONS_PER_TXN_MAX = 3


def emit(**event) -> None:
    print(json.dumps(event), flush=True)


def main() -> None:
    brokers, topic, partitions, index, seed, transactional_id, offsets_group = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
    faulthandler.register(signal.SIGUSR1)  # the run asks for the stacks before it kills a producer that does not stop
    rng = random.Random(seed)
    stopped = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": offsets_group})
    group = consumer.consumer_group_metadata()  # a copy: the consumer is not needed past this
    consumer.close()

    def connect() -> Producer:
        # After stdin closed (the run stopping, or its parent gone) it tries for STOP_CONNECT_S more, then gives up.
        deadline = None
        while True:
            if stopped.is_set():
                deadline = deadline or time.monotonic() + STOP_CONNECT_S
                if time.monotonic() > deadline:
                    emit(error="gave up connecting after the stop")
                    sys.stdout.flush()
                    os._exit(1)
            config = {
                "bootstrap.servers": brokers,
                "transactional.id": transactional_id,
                "transaction.timeout.ms": 20000,
                "enable.idempotence": True,
                "linger.ms": 1,
            }
            if os.environ.get("RDKAFKA_DEBUG"):
                config["debug"] = os.environ["RDKAFKA_DEBUG"]
            producer = Producer(config)
            try:
                producer.init_transactions(STEP_TIMEOUT_S)
                return producer
            except KafkaException as e:
                emit(error=f"init: {e}")
                drop(producer)
                time.sleep(0.2)

    def drop(producer: Producer) -> None:
        # A fenced or otherwise failed producer raises its fatal error again here: it is dropped all the same.
        try:
            producer.purge()
            producer.flush(0)
        except KafkaException:
            pass

    def delivered(err, msg) -> None:
        if err is None:
            emit(delivered=[msg.value().decode(), msg.partition(), msg.offset()])

    producer = connect()
    txn = 0
    while not stopped.is_set():
        n = txn
        txn += 1
        count = 1 + int(rng.random() * min(PARTITIONS_PER_TXN_MAX, partitions))
        picked = []
        while len(picked) < count:
            partition = int(rng.random() * partitions)
            if partition not in picked:
                picked.append(partition)
        records = [[f"t{index}.{n}.{j}", partition] for j, partition in enumerate(picked)]
        abort = rng.random() < ABORT_SHARE
        emit(begin=n, records=records)
        try:
            producer.begin_transaction()
            for value, partition in records:
                producer.produce(topic, value=value.encode(), partition=partition, on_delivery=delivered)
            producer.send_offsets_to_transaction([TopicPartition(topic, 0, n + 1)], group, STEP_TIMEOUT_S)
            if abort:
                producer.abort_transaction(STEP_TIMEOUT_S)
            else:
                emit(commit=n)
                producer.commit_transaction(STEP_TIMEOUT_S)
                emit(committed=n)
        except KafkaException as e:
            emit(error=str(e))
            if e.args[0].txn_requires_abort():
                try:
                    producer.abort_transaction(STEP_TIMEOUT_S)
                    continue
                except KafkaException as again:
                    emit(error=f"abort: {again}")
            drop(producer)
            producer = connect()
    drop(producer)  # nothing is pending: the last transaction ended, one way or the other
    # Producers dropped after failures may still hold requests; their destructors must not hold the exit.
    sys.stdout.flush()
    os._exit(0)


main()
