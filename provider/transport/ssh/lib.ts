/**
 * The `ssh2` library, loaded on first use.
 *
 * Requiring `ssh2` instantiates its Emscripten poly1305 module, whose WebAssembly memory is 16 MB; with the rest of the
 * library that is about 20 MB of resident memory in the provider process (measured: host RSS 131.6 vs 115.5 MB after
 * the first Check). Most stacks reach their BMCs over RMCP+ directly and never use SSH, so only an SSH route (or an
 * SSH key or host key to validate) pays for it.
 */

import type * as Ssh2 from "ssh2";

let loaded: typeof Ssh2 | undefined;

/** The `ssh2` module; the first call loads it. */
export function ssh2(): typeof Ssh2 {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded ??= require("ssh2") as typeof Ssh2;
    return loaded;
}
