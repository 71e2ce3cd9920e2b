/** Run profiles (quick / full): their settings, and every option and policy derived from them. */
export * from "./name";
export * from "./settings";
export * from "./options";
