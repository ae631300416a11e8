import { Link } from 'wouter';
import { listNamespaces } from '../api.js';
import { Card, ErrorBox, Spinner, useCall } from '../components/common.js';
import { durationMs, enumLabel, formatDuration } from '../format.js';
import { nsPath } from '../paths.js';

export function NamespacesPage() {
  const namespaces = useCall(listNamespaces, []);
  const rows = namespaces.data?.namespaces ?? [];
  return (
    <Card title="Namespaces">
      <ErrorBox error={namespaces.error} />
      {namespaces.loading && !namespaces.data ? <Spinner /> : null}
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>State</th>
            <th>Retention</th>
            <th>Description</th>
            <th>Id</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const name = row.namespaceInfo?.name ?? '';
            return (
              <tr key={name}>
                <td>
                  <Link href={`${nsPath(name)}/workflows`}>{name}</Link>
                </td>
                <td>{enumLabel(row.namespaceInfo?.state, 'NAMESPACE_STATE_')}</td>
                <td>{formatDuration(durationMs(row.config?.workflowExecutionRetentionTtl) ?? Number.NaN)}</td>
                <td>{row.namespaceInfo?.description}</td>
                <td className="mono muted">{row.namespaceInfo?.id}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}
