export * from "./protocol";
export * from "./topology";
