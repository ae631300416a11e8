// The container's HEALTHCHECK: exits 0 when the server answers healthy, 1 otherwise. Kubernetes does not use it (the
// chart declares its own probes); Docker and Podman do.
//
// ODIN_HEALTHCHECK names what to ask:
//   grpc://127.0.0.1:7233       grpc.health.v1.Health/Check (default; port from HUGO_ORCHESTRATOR_FRONTEND_PORT)
//   http://127.0.0.1:9090/healthz  an HTTP GET that must answer 2xx (the metrics port, for a worker-only process)
//
// The gRPC call is made with node:http2 by hand, not with a gRPC library: the check must start fast every few seconds
// and run from /app, where the deployment's node_modules holds only the CLI's direct dependencies. A Check request
// for the whole server is an empty message; the answer is HealthCheckResponse { status = 1 (SERVING) }.
import { connect } from 'node:http2';

const TIMEOUT_MS = Number(process.env.ODIN_HEALTHCHECK_TIMEOUT_MS ?? 2500);
const target =
  process.env.ODIN_HEALTHCHECK ?? `grpc://127.0.0.1:${process.env.HUGO_ORCHESTRATOR_FRONTEND_PORT || 7233}`;

/** Resolves true when Health/Check answers SERVING. */
function grpcHealthy(authority) {
  return new Promise((resolve) => {
    const session = connect(`http://${authority}`);
    const done = (healthy) => {
      session.close();
      session.destroy();
      resolve(healthy);
    };
    session.on('error', () => done(false));
    const request = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks = [];
    let grpcStatus;
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('trailers', (trailers) => {
      grpcStatus = trailers['grpc-status'];
    });
    request.on('error', () => done(false));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      // A length-prefixed message (1 flag byte, 4 length bytes) holding field 1 (varint) = 1.
      const message = body.subarray(5);
      done(grpcStatus === '0' && message.length >= 2 && message[0] === 0x08 && message[1] === 0x01);
    });
    // The request: not compressed, zero bytes long (an empty HealthCheckRequest).
    request.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

async function httpHealthy(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => undefined);
  return response?.ok === true;
}

const url = new URL(target);
const check = url.protocol === 'grpc:' ? grpcHealthy(url.host) : httpHealthy(url.href);
const timer = setTimeout(() => {
  console.error(`unhealthy: ${target} did not answer within ${TIMEOUT_MS} ms`);
  process.exit(1);
}, TIMEOUT_MS);
const healthy = await check;
clearTimeout(timer);
if (!healthy) console.error(`unhealthy: ${target}`);
process.exit(healthy ? 0 : 1);
