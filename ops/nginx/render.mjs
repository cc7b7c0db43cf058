#!/usr/bin/env node
/**
 * Fills in ops/nginx/arena.conf.template for your processes and prints the
 * result (README, "TLS and a reverse proxy"):
 *
 *   node ops/nginx/render.mjs --ports 2567,2568 --server-name game.example.com \
 *     --certificate /etc/letsencrypt/live/game.example.com/fullchain.pem \
 *     --certificate-key /etc/letsencrypt/live/game.example.com/privkey.pem \
 *     > /etc/nginx/conf.d/arena.conf
 *
 * --ports: the game processes' ports on this machine (PORT, one per process);
 * --listen: nginx's port (default 443). server/test/nginx.test.ts renders it
 * the same way, so what is tested is what you deploy.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/**
 * The config for these processes, from the options as parseArgs gives them (checked here).
 * @param {{ ports: string, listen?: string, serverName?: string, certificate?: string, certificateKey?: string }} options
 * @returns {string}
 */
export function render({ ports, listen = "443", serverName, certificate, certificateKey }) {
  const list = String(ports)
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (list.length === 0 || !list.every((p) => /^\d{1,5}$/.test(p) && Number(p) > 0 && Number(p) < 65536)) {
    throw new Error("--ports: a comma-separated list of the game processes' ports, e.g. 2567,2568");
  }
  if (!/^\d{1,5}$/.test(String(listen))) throw new Error("--listen: a port number");
  for (const [name, value] of [
    ["--server-name", serverName],
    ["--certificate", certificate],
    ["--certificate-key", certificateKey],
  ]) {
    if (typeof value !== "string" || value === "" || /[\s;{}]/.test(value)) throw new Error(`${name}: required, without spaces, ';' or braces`);
  }
  const template = readFileSync(new URL("./arena.conf.template", import.meta.url), "utf8");
  const values = new Map([
    ["UPSTREAM", list.map((p) => `server 127.0.0.1:${p};`).join(" ")],
    ["PORTS", list.join("|")],
    ["LISTEN", String(listen)],
    ["SERVER_NAME", serverName],
    ["CERTIFICATE", certificate],
    ["CERTIFICATE_KEY", certificateKey],
  ]);
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, /** @type {string} */ key) => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`unknown placeholder {{${key}}}`);
    return value;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      ports: { type: "string" },
      listen: { type: "string", default: "443" },
      "server-name": { type: "string" },
      certificate: { type: "string" },
      "certificate-key": { type: "string" },
    },
  });
  try {
    process.stdout.write(
      render({
        ports: values.ports ?? "",
        listen: values.listen,
        serverName: values["server-name"],
        certificate: values.certificate,
        certificateKey: values["certificate-key"],
      }),
    );
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
}
