/** Object keys in the data bucket; the topology expires both prefixes after 7 days. */
export const snapshotKey = (topic: string) => `snapshots/${topic}.json`;
export const resultKey = (jobId: string) => `results/${jobId}.json`;
