import { describe, expect, it } from "vitest";
import { providerEnv } from "../../src/actors/provider-env.js";

const hangarEnv = { PATH: "/bin", HOME: "/home/h", LANG: "C", TZ: "UTC", TMPDIR: "/tmp", SECRET_X: "s", AWS_SECRET_ACCESS_KEY: "k" };

describe("providerEnv", () => {
  it("passes the allow-list plus config env, and nothing else", () => {
    expect(providerEnv({ env: { API_KEY: "abc" }, inheritEnv: false }, hangarEnv)).toEqual({
      PATH: "/bin",
      HOME: "/home/h",
      LANG: "C",
      TZ: "UTC",
      TMPDIR: "/tmp",
      API_KEY: "abc",
    });
  });

  it("skips allow-listed variables the hangar does not have", () => {
    expect(providerEnv({ env: {}, inheritEnv: false }, { PATH: "/bin" })).toEqual({ PATH: "/bin" });
  });

  it("passes everything with inheritEnv; config env wins either way", () => {
    const env = providerEnv({ env: { PATH: "/opt/bin", SECRET_X: "mine" }, inheritEnv: true }, hangarEnv);
    expect(env).toEqual({ ...hangarEnv, PATH: "/opt/bin", SECRET_X: "mine" });
    expect(providerEnv({ env: { PATH: "/opt/bin" }, inheritEnv: false }, hangarEnv).PATH).toBe("/opt/bin");
  });
});
