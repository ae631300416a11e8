import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { listNamespaces } from './api.js';
import { useCall } from './components/common.js';
import { NamespacesPage } from './pages/namespaces.js';
import { ScheduleDetailPage, SchedulesPage } from './pages/schedules.js';
import { TaskQueuePage, TaskQueuesPage } from './pages/task-queues.js';
import { WorkflowDetailPage } from './pages/workflow-detail.js';
import { WorkflowListPage } from './pages/workflow-list.js';
import { currentNamespace, nsPath } from './paths.js';
import './styles.css';

function NamespaceSelect() {
  const [location, navigate] = useLocation();
  const namespaces = useCall(listNamespaces, []);
  const current = currentNamespace(location);
  const names = (namespaces.data?.namespaces ?? []).map((n) => n.namespaceInfo?.name ?? '').filter(Boolean);
  if (!names.includes(current)) names.unshift(current);
  return (
    <label className="ns-select">
      <span>Namespace</span>
      <select
        value={current}
        aria-label="Namespace"
        onChange={(event) => navigate(`${nsPath(event.target.value)}/workflows`)}
      >
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Layout() {
  const [location] = useLocation();
  const namespace = currentNamespace(location);
  const section = location.includes('/task-queues')
    ? 'tq'
    : location.includes('/schedules')
      ? 'sc'
      : location === '/namespaces'
        ? 'ns'
        : 'wf';
  return (
    <div className="app">
      <header className="topbar">
        <Link href={`${nsPath(namespace)}/workflows`} className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Odin
        </Link>
        <nav className="nav">
          <Link href={`${nsPath(namespace)}/workflows`} className={section === 'wf' ? 'active' : ''}>
            Workflows
          </Link>
          <Link href={`${nsPath(namespace)}/schedules`} className={section === 'sc' ? 'active' : ''}>
            Schedules
          </Link>
          <Link href={`${nsPath(namespace)}/task-queues`} className={section === 'tq' ? 'active' : ''}>
            Task queues
          </Link>
          <Link href="/namespaces" className={section === 'ns' ? 'active' : ''}>
            Namespaces
          </Link>
        </nav>
        <NamespaceSelect />
      </header>
      <main className="content">
        <Switch>
          <Route path="/namespaces" component={NamespacesPage} />
          <Route path="/namespaces/:ns/workflows" component={WorkflowListPage} />
          <Route path="/namespaces/:ns/workflows/:wid/:rid" component={WorkflowDetailPage} />
          <Route path="/namespaces/:ns/workflows/:wid" component={WorkflowDetailPage} />
          <Route path="/namespaces/:ns/schedules" component={SchedulesPage} />
          <Route path="/namespaces/:ns/schedules/:sid" component={ScheduleDetailPage} />
          <Route path="/namespaces/:ns/task-queues" component={TaskQueuesPage} />
          <Route path="/namespaces/:ns/task-queues/:tq" component={TaskQueuePage} />
          <Route>
            <Redirect to="/namespaces/default/workflows" replace />
          </Route>
        </Switch>
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Layout />
  </StrictMode>,
);
