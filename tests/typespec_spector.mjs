// TypeSpec's Spector (npm @typespec/spector) serving the scenarios of @typespec/http-specs: the
// mock APIs every TypeSpec client emitter is tested against, each request checked exactly as its
// scenario says. On 127.0.0.1 only and a port the OS picks; prints "listening <port>" once it
// serves. Its CLI listens on every interface; this starts the same app on loopback.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", "@typespec");
const load = (path) => import(pathToFileURL(join(root, "spector", "dist", "src", path)).href);
const { MockApiServer } = await load("server/server.js");
const { MockApiApp } = await load("app/app.js");
const { logger } = await load("logger.js");

logger.level = "error";
const start = MockApiServer.prototype.start;
MockApiServer.prototype.start = function startOnLoopback() {
  const listen = this.app.listen.bind(this.app);
  this.app.listen = (_port, ready) =>
    listen(0, "127.0.0.1", function announce() {
      process.stdout.write(`listening ${this.address().port}\n`);
      ready();
    });
  return start.call(this);
};

const coverage = join(mkdtempSync(join(tmpdir(), "spector-coverage-")), "coverage.json");
const scenarios = join(root, "http-specs", "specs");
new MockApiApp({ port: 0, scenarioPath: scenarios, coverageFile: coverage }).start().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
