// Microsoft's AutoRest test server (npm @microsoft.azure/autorest.testserver), the upstream
// Azure's SDK generators are tested against, on 127.0.0.1 only and a port the OS picks.
// Prints "listening <port>" once it serves. Its CLI listens on every interface; this starts
// the same app (its routes, its coverage counters in a scratch folder) on loopback.
"use strict";
const os = require("os");
const path = require("path");
const fs = require("fs");

const root = path.join(__dirname, "..", "node_modules", "@microsoft.azure", "autorest.testserver");
const { MockApiServer } = require(path.join(root, "dist", "server", "server.js"));
const { ApiMockApp } = require(path.join(root, "dist", "app", "app.js"));
const { logger } = require(path.join(root, "dist", "logger.js"));

logger.level = "error";
const start = MockApiServer.prototype.start;
MockApiServer.prototype.start = function startOnLoopback() {
  const listen = this.app.listen.bind(this.app);
  this.app.listen = () => {
    const server = listen(0, "127.0.0.1", () => {
      process.stdout.write(`listening ${server.address().port}\n`);
    });
    return server;
  };
  start.call(this); // its error handler, then listen
};

const coverage = fs.mkdtempSync(path.join(os.tmpdir(), "autorest-coverage-"));
new ApiMockApp({ port: 0, coverageDirectory: coverage, appendCoverage: false }).start().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
