import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { EndpointsError } from "../src/endpoints.js";
import { StartupError, startupProblemForConsole } from "../src/StartupError.js";

afterEach(cleanup);

describe("StartupError", () => {
  it("tells a fan what happened and what they can do, never a command or a file; the operator hint goes to the console", () => {
    const error = new EndpointsError("/.pushgate/endpoints.json answered 404");
    render(<StartupError error={error} />);
    const shown = screen.getByTestId("startup-error").textContent ?? "";
    expect(shown).toMatch(/can't be reached right now/);
    expect(shown).not.toMatch(/npm|`|endpoints\.json|404/);
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
    expect(startupProblemForConsole(error)).toMatch(/npm start/);
    expect(startupProblemForConsole(error)).toMatch(/endpoints\.json answered 404/);
  });
});
