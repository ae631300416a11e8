export type { WorkflowServiceRequest as Req, WorkflowServiceResponse as Res } from '@odin/api';
