/**
 * The web console in a real browser (headless Chromium through playwright-core) against the
 * compiled broker: the overview's shard picture and live numbers while kafkajs produces, a
 * topic's messages decoded as JSON and hex, a consumer group's lag (0 once read, then growing while it is away), a partition move and a
 * core rebalance and a topic created and deleted, each confirmed in the dialog; with admin_api_require_auth, the overview, live feed and a rebalance through the browser's Basic login (refused for a non-superuser). Screenshots: test/artifacts/console-*.png.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { adminGet, startBroker, type Broker } from "../helpers/broker.ts";
import { openBrowser } from "../helpers/browser.ts";
import { createTopic, kafkaClient, withAdmin } from "../helpers/kafka.ts";

setDefaultTimeout(60_000);

/** The page's document, inside functions Playwright runs in the browser (the suite's tsconfig has no DOM lib). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null; querySelectorAll(selector: string): { length: number } };

const TOPIC = "console-demo";
const GROUP = "console-readers";
const WAIT_MS = 10_000;

async function shardOf(broker: Broker, partition: number): Promise<number> {
  const { text } = await adminGet(broker, `/v1/partitions/kafka/${TOPIC}/${partition}`);
  return JSON.parse(text).shard;
}

async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? "";
}

/** Resolves once `selector`'s text differs from `before`. */
async function textChanges(page: Page, selector: string, before: string): Promise<string> {
  await page.waitForFunction(([s, b]) => (document.querySelector(s!)?.textContent ?? b) !== b, [selector, before], { timeout: WAIT_MS });
  return textOf(page, selector);
}

test("the console shows shards, live throughput, messages and groups, and moves a partition after confirmation", async () => {
  await using broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
  const kafka = kafkaClient(broker);
  await createTopic(kafka, TOPIC, 2);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 20 }, (_, i) => ({ partition: 0, key: `k${i}`, value: JSON.stringify({ n: i, hello: "world" }) })) });
  await using browser = await openBrowser();
  const { page } = browser;

  // Overview: both shards, the topic's partitions on them, numbers moving while a producer runs.
  await page.goto(`${broker.adminUrl}/`);
  await page.locator("[data-test=shard-1]").waitFor({ timeout: WAIT_MS });
  await page.locator(`[data-test=partition-${TOPIC}-0]`).waitFor({ timeout: WAIT_MS });
  let producing = true;
  const background = (async () => {
    for (let i = 0; producing; i++) await producer.send({ topic: TOPIC, messages: [{ partition: 1, value: `tick ${i}` }] });
  })();
  const bytesInBefore = await textOf(page, "[data-test=bytes-in-total]");
  const bytesInAfter = await textChanges(page, "[data-test=bytes-in-total]", bytesInBefore);
  expect(bytesInAfter).not.toBe(bytesInBefore);
  await page.waitForFunction(() => !/^0\.0\//.test(document.querySelector("[data-test=requests-rate]")?.textContent ?? "0.0/"), null, { timeout: WAIT_MS });
  await page.locator("[data-test=chart-bytes] path").first().waitFor({ timeout: WAIT_MS });
  await browser.screenshot("console-overview");
  producing = false;
  await background;

  // Topics: the list counts the messages; the browser decodes the values as JSON and as hex.
  await page.goto(`${broker.adminUrl}/#/topics`);
  await page.locator(`[data-test=topic-${TOPIC}]`).waitFor({ timeout: WAIT_MS });
  expect(Number((await textOf(page, `[data-test=topic-${TOPIC}] [data-test=messages]`)).replace(/,/g, ""))).toBeGreaterThan(20);
  await page.click(`[data-test=topic-${TOPIC}] a`);
  await page.locator("[data-test=message]").first().waitFor({ timeout: WAIT_MS });
  expect(await page.locator("[data-test=message]").count()).toBe(20);
  await page.selectOption("[data-test=browse-decode]", "json");
  expect(await textOf(page, "[data-test=message] [data-test=value]")).toContain('"hello": "world"');
  await page.selectOption("[data-test=browse-from]", "offset");
  await page.fill("[data-test=browse-at]", "15");
  await page.click("[data-test=browse]");
  await page.waitForFunction(() => document.querySelectorAll("[data-test=message]").length === 5, null, { timeout: WAIT_MS });
  await page.selectOption("[data-test=browse-decode]", "hex");
  expect(await textOf(page, "[data-test=message] [data-test=value]")).toStartWith("7b 22 6e 22 3a 31 35"); // {"n":15
  await browser.screenshot("console-topic");
  // By time: from before the first message, the partition's start; from the future, nothing.
  const byTime = async (ms: number) => JSON.parse((await adminGet(broker, `/v1/console/topics/${TOPIC}/messages?partition=0&timestamp=${ms}&limit=3`)).text);
  expect((await byTime(0)).messages.map((m: { offset: number }) => m.offset)).toEqual([0, 1, 2]);
  expect((await byTime(Date.now() + 3_600_000)).messages).toEqual([]);

  // Consumer groups: a kafkajs consumer that read and committed everything shows with lag 0.
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const total = (await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(TOPIC))).reduce((sum, p) => sum + Number(p.high), 0);
  let seen = 0;
  const allRead = new Promise<void>((resolve) => {
    void consumer.run({ eachMessage: async () => void (++seen >= total && resolve()) });
  });
  await allRead;
  await page.goto(`${broker.adminUrl}/#/groups`);
  await page.locator(`[data-test=group-${GROUP}]`).waitFor({ timeout: WAIT_MS });
  await page.click(`[data-test=group-${GROUP}] a`);
  await page.waitForFunction(() => document.querySelector("[data-test=group-total-lag]")?.textContent === "0", null, { timeout: WAIT_MS });
  expect(await textOf(page, "[data-test=group-state]")).toBe("Stable");
  expect(await textOf(page, "[data-test=members]")).toContain(TOPIC);
  await page.locator("[data-test=chart-lag] path").first().waitFor({ state: "attached", timeout: WAIT_MS }); // a flat line at 0 has no height: "attached", not "visible"
  await consumer.disconnect();
  // The group gone quiet, new messages show as lag on their partition.
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `late ${i}` })) });
  await page.waitForFunction(() => document.querySelector("[data-test=group-total-lag]")?.textContent === "5", null, { timeout: WAIT_MS });
  expect(await textOf(page, "[data-test=group-state]")).toBe("Empty");
  await page.locator("[data-test=chart-lag] path").first().waitFor({ timeout: WAIT_MS }); // no longer flat: visible
  await browser.screenshot("console-group");

  // A move: cancelled first (nothing moves), then confirmed; the admin API shows the new owner.
  const from = await shardOf(broker, 0);
  await page.goto(`${broker.adminUrl}/`);
  await page.click(`[data-test=partition-${TOPIC}-0]`);
  await page.click("#confirm button[value=cancel]");
  expect(await shardOf(broker, 0)).toBe(from);
  await page.click(`[data-test=partition-${TOPIC}-0]`);
  await browser.screenshot("console-move-dialog");
  await page.click("#confirm-ok");
  await page.locator(`[data-test=shard-${1 - from}] [data-test=partition-${TOPIC}-0]`).waitFor({ timeout: WAIT_MS });
  expect(await shardOf(broker, 0)).toBe(1 - from);
  // Both partitions now share a shard (each started on its own); rebalancing spreads them again.
  expect(await shardOf(broker, 1)).toBe(1 - from);
  await page.click("[data-test=rebalance]");
  await page.click("#confirm-ok");
  await page.locator("#toast", { hasText: "moved 1 partition" }).waitFor({ timeout: WAIT_MS });
  expect(new Set([await shardOf(broker, 0), await shardOf(broker, 1)]).size).toBe(2);

  // Create and delete a topic through the console; kafkajs sees both.
  await page.goto(`${broker.adminUrl}/#/topics`);
  await page.fill("[data-test=new-topic-name]", "made-in-console");
  await page.fill("[data-test=new-topic-partitions]", "3");
  await page.click("[data-test=create-topic]");
  await page.locator("[data-test=topic-made-in-console]").waitFor({ timeout: WAIT_MS });
  const made = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: ["made-in-console"] }));
  expect(made.topics[0].partitions.length).toBe(3);
  await page.click("[data-test=topic-made-in-console] [data-test=delete-topic]");
  await page.click("#confirm-ok");
  await page.locator("[data-test=topic-made-in-console]").waitFor({ state: "detached", timeout: WAIT_MS });
  expect(await withAdmin(kafka, (admin) => admin.listTopics())).not.toContain("made-in-console");
  await producer.disconnect();
});

test("the page and its modules are served from the binary", async () => {
  await using broker = await startBroker();
  const page = await adminGet(broker, "/");
  expect(page.status).toBe(200);
  expect(page.contentType).toContain("text/html");
  const script = await adminGet(broker, "/console/app.js");
  expect(script.contentType).toContain("javascript");
  expect(script.text).toContain("EventSource");
  expect((await adminGet(broker, "/console/nope.js")).status).toBe(404);
});

test("with admin_api_require_auth the console works through the browser's Basic login; a non-superuser's change is refused", async () => {
  await using broker = await startBroker({ smp: 2, sets: { admin_api_require_auth: "true", superusers: "admin" }, env: { SKUA_BOOTSTRAP_USER: "admin:console-secret" } });
  await using browser = await openBrowser();
  const authorization = `Basic ${Buffer.from("admin:console-secret").toString("base64")}`;
  const created = await fetch(`${broker.adminUrl}/v1/security/users`, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: '{"username":"reader","password":"reader-pw"}' });
  expect(created.status).toBe(200);
  for (const [user, password, toast] of [["admin", "console-secret", "moved 0 partition"], ["reader", "reader-pw", "not a superuser"]]) {
    // httpCredentials: Chromium answers the 401 challenge as a person typing the login would.
    const context = await browser.browser.newContext({ httpCredentials: { username: user!, password: password! } });
    const page = await context.newPage();
    const liveFeed = page.waitForResponse((r) => r.url().endsWith("/v1/console/events"), { timeout: WAIT_MS });
    await page.goto(`${broker.adminUrl}/`);
    expect((await liveFeed).status()).toBe(200);
    await page.locator("[data-test=shard-1]").waitFor({ timeout: WAIT_MS });
    await page.click("[data-test=rebalance]");
    await page.click("#confirm-ok");
    await page.locator("#toast", { hasText: toast! }).waitFor({ timeout: WAIT_MS });
    await context.close();
  }
  // Without a login to give, headless Chromium gives up on the challenge.
  const anonymous = await browser.browser.newContext();
  await expect((await anonymous.newPage()).goto(`${broker.adminUrl}/`)).rejects.toThrow(/AUTH/);
  await anonymous.close();
});
