export { startScheduler } from "./scheduler";
