// The frontend's and the cluster routers' shard mapping must be history's; one definition lives in @odin/api.
export { shardIdFor } from '@odin/api';
