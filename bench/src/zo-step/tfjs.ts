/**
 * tfjs-core as the models package sees it. The exports object itself, not an import-star copy: the breakdown wraps
 * its tensor() and tensor2d() with timers, and @fedkseed/models reads them through this object at every call.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import tf = require('@tensorflow/tfjs-core');

export { tf };
