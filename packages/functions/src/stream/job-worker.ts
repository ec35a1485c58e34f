/** The job worker (INSERT of a pending job): computes the result, writes it to S3, marks the job ready. */
import { streamConsumer } from "../edge";

export const handler = streamConsumer((records, app) => app.runJobs(records));
