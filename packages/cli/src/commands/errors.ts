import {
  NamespaceNotFoundError,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceCallError,
  TemporalFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@odin/sdk';
import type { ClientSettings } from './settings.js';
import { CliError, ExitCode } from './exit-codes.js';

function failureSummary(failure: TemporalFailure): string {
  const type = 'type' in failure && typeof failure.type === 'string' ? ` [${failure.type}]` : '';
  const message = failure.message || failure.name;
  const cause =
    failure.cause instanceof TemporalFailure ? `; caused by: ${failureSummary(failure.cause)}` : '';
  return `${failure.name}${type}: ${message}${cause}`;
}

/**
 * The message and exit code for an error of a client command. Typed SDK errors name what to check next; an
 * unreachable server (or one that does not answer in time) is told apart from one that answered "no".
 */
export function toCliError(error: unknown, settings: ClientSettings | undefined, what: string): CliError {
  if (error instanceof CliError) return error;
  const address = settings?.address ?? 'the server';
  const namespace = settings?.namespace ?? 'default';
  if (error instanceof WorkflowNotFoundError) {
    const run = error.runId ? ` run ${error.runId}` : '';
    return new CliError(
      `workflow "${error.workflowId}"${run} not found in namespace "${namespace}" ` +
        '(check --id / --workflow-id, --run-id and --namespace; `hugo-orchestrator workflow list` shows what exists)',
      ExitCode.failed,
    );
  }
  if (error instanceof NamespaceNotFoundError) {
    return new CliError(
      `namespace "${error.namespace}" not found; create it with: hugo-orchestrator namespace create --name "${error.namespace}"`,
      ExitCode.failed,
    );
  }
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return new CliError(
      `workflow "${error.workflowId}" is already running; choose another --id, or pass ` +
        '--id-conflict-policy USE_EXISTING (attach) or TERMINATE_EXISTING (replace)',
      ExitCode.failed,
    );
  }
  if (error instanceof QueryNotRegisteredError) {
    return new CliError(
      `query failed: ${error.message} (is the query name right, and does the workflow register it?)`,
      ExitCode.failed,
    );
  }
  if (error instanceof QueryRejectedError) {
    return new CliError(`query rejected: the workflow is ${error.status}`, ExitCode.failed);
  }
  if (error instanceof WorkflowFailedError) {
    return new CliError(`${error.message}: ${failureSummary(error.cause)}`, ExitCode.failed);
  }
  if (error instanceof ServiceCallError) {
    switch (error.codeName) {
      case 'UNAVAILABLE':
        return new CliError(
          `cannot reach the server at ${address} (${error.message}); is it running? ` +
            'Start one with `hugo-orchestrator server start-dev`, or point --address / HUGO_ORCHESTRATOR_ADDRESS at it',
          ExitCode.unreachable,
        );
      case 'DEADLINE_EXCEEDED':
        if (what === 'query') {
          return new CliError(
            `no worker answered the query in time (${error.message}); is a worker polling the workflow's task queue?`,
            ExitCode.failed,
          );
        }
        return new CliError(
          `no answer from ${address} in time (${error.message}); check the address and TLS settings, or raise --timeout`,
          ExitCode.unreachable,
        );
      case 'ALREADY_EXISTS':
        return new CliError(`${what} failed: ${error.message}`, ExitCode.failed);
      case 'UNAUTHENTICATED':
      case 'PERMISSION_DENIED':
        return new CliError(
          `${what} refused: ${error.codeName} (${error.message}); check the TLS client certificate`,
          ExitCode.failed,
        );
      default:
        return new CliError(`${what} failed: ${error.codeName}: ${error.message}`, ExitCode.failed);
    }
  }
  if (error instanceof TemporalFailure) return new CliError(failureSummary(error), ExitCode.failed);
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return new CliError(`${what} failed unexpectedly (a bug in the CLI?): ${detail}`, ExitCode.failed);
}
