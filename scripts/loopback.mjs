// Preloaded (`node --import scripts/loopback.mjs`) into servers that listen on every address
// (Express's app.listen(PORT)): they listen on 127.0.0.1 only. Nothing here reaches further.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    const callbacks = args.slice(1).filter((arg) => typeof arg === "function");
    return listen.call(this, { port: Number(args[0]), host: "127.0.0.1" }, ...callbacks);
  }
  return listen.apply(this, args);
};
