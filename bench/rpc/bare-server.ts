// The floor under every gRPC call the frontend serves: a node:http2 server that answers each call at once with an
// empty message and status OK, with nothing of gRPC's machinery (no grpc-js, no decoding, no handler). Run by
// bench/rpc/run.ts in its own process; prints its port.
import http2 from 'node:http2';

const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

const server = http2.createServer();
server.on('stream', (stream) => {
  stream.resume();
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(EMPTY_MESSAGE);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
