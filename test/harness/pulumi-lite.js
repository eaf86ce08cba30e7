#!/usr/bin/env node
"use strict";
/**
 * pulumi-lite: the program runner (runner.js) as a command line, for a Pulumi project directory whose program has its
 * dependencies installed. A stand-in for the parts of the `pulumi` CLI this project needs; see RUNNER-LIMITS.md.
 *
 *   pulumi-lite [--cwd DIR] [--stack NAME] [--state-dir DIR] COMMAND
 *     config set KEY VALUE            plain config
 *     config set --secret KEY         secret config, value read from stdin (never from the command line)
 *     config                          list (secrets as [secret])
 *     preview | up | destroy
 *     refresh [--preview-only]
 *     stack output                    stack outputs as JSON (secrets as [secret])
 *
 * The stack passphrase comes from PULUMI_CONFIG_PASSPHRASE_FILE or PULUMI_CONFIG_PASSPHRASE, as for the CLI. The state
 * and config live in --state-dir (default DIR/.pulumi-lite). Exit status 1 when an operation reported errors.
 */
const fs = require("node:fs");
const path = require("node:path");
const { Stack } = require("./runner");

function usage(message) {
  process.stderr.write(`pulumi-lite: ${message}\nusage: pulumi-lite [--cwd DIR] [--stack NAME] [--state-dir DIR] preview|up|refresh [--preview-only]|destroy|config [set [--secret] KEY [VALUE]]|stack output\n`);
  process.exit(2);
}

function parse(argv) {
  const opts = { cwd: process.cwd(), stack: "dev", stateDir: undefined, secret: false, previewOnly: false, words: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--cwd") opts.cwd = path.resolve(value());
    else if (a === "--stack") opts.stack = value();
    else if (a === "--state-dir") opts.stateDir = path.resolve(value());
    else if (a === "--secret") opts.secret = true;
    else if (a === "--preview-only") opts.previewOnly = true;
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else opts.words.push(a);
  }
  return opts;
}

function passphrase() {
  const file = process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file) return fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
  if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) return process.env.PULUMI_CONFIG_PASSPHRASE;
  return usage("set PULUMI_CONFIG_PASSPHRASE_FILE (or PULUMI_CONFIG_PASSPHRASE) to the stack's passphrase");
}

async function main() {
  const opts = parse(process.argv.slice(2));
  const [command, ...rest] = opts.words;
  if (!command) usage("missing command");
  const stack = new Stack({ projectDir: opts.cwd, stateDir: opts.stateDir ?? path.join(opts.cwd, ".pulumi-lite"), passphrase: passphrase(), stack: opts.stack });
  let result;
  switch (command) {
    case "config": {
      if (rest[0] === "set") {
        const [, key, value] = rest;
        if (!key) usage("config set needs a KEY");
        if (opts.secret && value !== undefined) usage("a secret is read from stdin, not the command line: printf %s \"$VALUE\" | pulumi-lite config set --secret KEY");
        const v = opts.secret ? fs.readFileSync(0, "utf8").replace(/\r?\n$/, "") : value;
        if (v === undefined) usage("config set needs a VALUE");
        stack.setConfig(key, v, { secret: opts.secret });
        return 0;
      }
      const { config, secretKeys } = stack.config();
      for (const [k, v] of Object.entries(config)) process.stdout.write(`${k}  ${secretKeys.includes(k) ? "[secret]" : v}\n`);
      return 0;
    }
    case "stack":
      if (rest[0] !== "output") usage("only `stack output` is supported");
      process.stdout.write(`${JSON.stringify(stack.outputs(), null, 2)}\n`);
      return 0;
    case "preview":
      result = await stack.preview();
      break;
    case "up":
      result = await stack.up();
      break;
    case "refresh":
      result = await stack.refresh({ preview: opts.previewOnly });
      break;
    case "destroy":
      result = await stack.destroy();
      break;
    default:
      usage(`unknown command ${command}`);
  }
  return result.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`pulumi-lite: ${e.message}\n`);
    process.exit(1);
  },
);
