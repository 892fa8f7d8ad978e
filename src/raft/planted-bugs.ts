/**
 * Deliberate bugs, for tests that show the simulator's checkers catch them. All off by default.
 * Every use is `if (globalThis.SKUA_TEST_BUILD !== false && plantedBugs.x)`: the production build
 * defines `globalThis.SKUA_TEST_BUILD` as false, so `--minify-syntax` drops the branch and this
 * object with it (see README.md).
 */
declare global {
  // Replaced by `false` in scripts/build.sh; undefined (so switches work) when run from source.
  var SKUA_TEST_BUILD: boolean | undefined;
}

export interface PlantedBugs {
  /** The leader commits an entry of an older term by counting replicas (Raft paper Figure 8). */
  commitOlderTermByCounting: boolean;
  /** A vote is granted (and sent) before the (term, votedFor) record is fdatasync'ed. */
  voteBeforeFsync: boolean;
  /** A follower accepts AppendEntries without checking (prevIndex, prevTerm). */
  skipLogMatching: boolean;
  /** A leader that gets a reject showing a follower's shorter log truncates its own log to it (above its commit index). */
  leaderTruncatesLog: boolean;
  /** The leader never steps down for lack of a majority (no check-quorum). */
  forgetCheckQuorum: boolean;
  /** A follower answers the appends it wrote before they are fdatasync'ed. */
  answerAppendsBeforeSync: boolean;
  /** Kafka compaction rewrites the log up to its end, uncommitted entries included, not only below the commit index. */
  compactPastCommit: boolean;
  /** Kafka compaction drops a batch left with no record (as on a single node) instead of keeping the entry empty. */
  compactDropsEntries: boolean;
}

export const plantedBugs: PlantedBugs = {
  commitOlderTermByCounting: false,
  voteBeforeFsync: false,
  skipLogMatching: false,
  leaderTruncatesLog: false,
  forgetCheckQuorum: false,
  answerAppendsBeforeSync: false,
  compactPastCommit: false,
  compactDropsEntries: false,
};

/** Turns every switch off (tests call it in afterEach). */
export function resetPlantedBugs(): void {
  for (const name of Object.keys(plantedBugs) as Array<keyof PlantedBugs>) plantedBugs[name] = false;
}
