/** What the kcat fixture batches hold (see make-kcat-fixtures.ts). */
export const FIXTURE_RECORDS = 300;
export const fixtureValue = (i: number) => `kcat-fixture-${i}-${"abcdefgh".repeat(1 + (i % 13))}`;
