// Starts the telegram-test-api emulator for the end-to-end tests.
// Usage: node emulator.js PORT [HOST]
// Prints one JSON line {"ready": true, "url": ...} on stdout once it listens, and
// stops when it gets SIGTERM/SIGINT or when its stdin closes (the test process died).
'use strict';

const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
const host = process.argv[3] || '127.0.0.1';
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node emulator.js PORT [HOST]');
  process.exit(2);
}

// Keep messages for the whole test session (the default drops them after 60 s).
const server = new TelegramServer({ port, host, storeTimeout: 3600 });

// The emulator posts webhook updates without catching failures; a refused post
// must not take the whole emulator down (Node ends on unhandled rejections).
process.on('unhandledRejection', (error) => {
  console.error(`emulator: unhandled rejection: ${error && error.message}`);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.stop().finally(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

server.start().then(
  () => console.log(JSON.stringify({ ready: true, url: server.config.apiURL })),
  (error) => {
    console.error(`emulator: could not start: ${error && error.message}`);
    process.exit(1);
  },
);
