/** Every minute: the occupancy counts carried since their last push, pushed when due (waiting for those due within the minute). */
import { scheduled } from "../edge";

export const handler = scheduled((app) => app.watchingHeartbeat());
