// N-API binding of the native perturbation engine (packages/zo/src/native-engine.ts).
//
// Exports, all synchronous:
//   axpy(w: Float32Array, k0: number, k1: number, elementOffset: number, scale: number, threads?: number)
//   axpyInto(out: Float32Array, w: Float32Array, k0: number, k1: number, elementOffset: number, scale: number,
//            threads?: number)
//       out = w + scale * z; out is w itself or does not overlap it, and has its length
//   replay(w: Float32Array, keys: Uint32Array, scales: Float64Array, elementOffset: number, threads?: number)
//       seeds = scales.length; seed s has key (keys[2s], keys[2s + 1])
//   info(): { simdLanes, isa, threads, parallelThreshold }
// `threads` (an integer >= 1) caps the worker threads of that call; absent or 0, the default applies:
// FEDKSEED_NATIVE_THREADS when the addon loaded, else the hardware threads, at most 8.
// The TypeScript wrapper validates arguments exactly like the reference engine; the checks here only
// keep a bad call from touching memory it should not.
//
// Large ranges are split over std::thread workers on disjoint, chunk-aligned sub-ranges of w; each
// element's result does not depend on the split, so every thread count gives the same bits.
#include <node_api.h>

#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include "perturb_kernel.h"

namespace {

// Calls with fewer elements stay on the calling thread: starting and joining a thread costs ~30-40 us,
// and on a 2-core Zen 3 VM two threads only beat one from ~200K elements (1 thread: ~0.5 G elements/s).
constexpr size_t kParallelThreshold = 1 << 18;
// Each worker gets at least this many elements.
constexpr size_t kMinPerThread = 1 << 17;
constexpr unsigned kDefaultMaxThreads = 8;
constexpr unsigned kMaxThreads = 256;
constexpr double kTwoPow53 = 9007199254740992.0;

unsigned ConfiguredThreads() {
  const char* env = std::getenv("FEDKSEED_NATIVE_THREADS");
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1) return v > (long)kMaxThreads ? kMaxThreads : (unsigned)v;
  }
  unsigned hw = std::thread::hardware_concurrency();
  if (hw == 0) hw = 1;
  return hw < kDefaultMaxThreads ? hw : kDefaultMaxThreads;
}

struct AddonData {
  unsigned threads;
};

struct Job {
  float* w;
  const float* src;  // w itself, or where w's new values are computed from
  size_t n;
  uint64_t offset;
  const uint32_t* keys;
  const double* scales;
  size_t num_seeds;
};

void RunJob(const Job& job) {
  fk::replay_range(job.w, job.src, job.n, job.offset, job.keys, job.scales, job.num_seeds);
}

// Splits [offset, offset + n) at kChunk-aligned absolute element indices and runs the parts in parallel.
void RunParallel(const Job& job, unsigned threads) {
  size_t parts = 1;
  if (threads > 1 && job.n >= kParallelThreshold) {
    parts = job.n / kMinPerThread;
    if (parts > threads) parts = threads;
  }
  if (parts <= 1) {
    RunJob(job);
    return;
  }
  std::vector<Job> jobs;
  jobs.reserve(parts);
  const uint64_t end = job.offset + job.n;
  uint64_t start = job.offset;
  for (size_t i = 1; i <= parts && start < end; i++) {
    uint64_t stop = end;
    if (i < parts) {
      stop = job.offset + (uint64_t)((double)job.n * (double)i / (double)parts);
      stop = (stop + fk::kChunk - 1) / fk::kChunk * fk::kChunk;
      if (stop > end) stop = end;
    }
    if (stop <= start) continue;
    Job part = job;
    part.w = job.w + (start - job.offset);
    part.src = job.src + (start - job.offset);
    part.n = (size_t)(stop - start);
    part.offset = start;
    jobs.push_back(part);
    start = stop;
  }
  std::vector<std::thread> workers;
  workers.reserve(jobs.size());
  size_t next = 1;
  for (; next < jobs.size(); next++) {
    try {
      workers.emplace_back(RunJob, jobs[next]);
    } catch (const std::system_error&) {
      break;  // no more threads: the calling thread runs what is left
    }
  }
  RunJob(jobs[0]);
  for (size_t i = next; i < jobs.size(); i++) RunJob(jobs[i]);
  for (std::thread& t : workers) t.join();
}

napi_value Throw(napi_env env, const char* message, bool type_error = false) {
  if (type_error) {
    napi_throw_type_error(env, nullptr, message);
  } else {
    napi_throw_range_error(env, nullptr, message);
  }
  return nullptr;
}

bool GetTypedArray(napi_env env, napi_value value, napi_typedarray_type want, void** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &byte_offset) != napi_ok) return false;
  if (type != want) return false;
  if (*length == 0) *data = nullptr;
  return true;
}

bool GetNumber(napi_env env, napi_value value, double* out) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_double(env, value, out) == napi_ok;
}

// elementOffset: an integer in [0, 2^53 - n].
bool GetOffset(napi_env env, napi_value value, size_t n, uint64_t* out) {
  double d;
  if (!GetNumber(env, value, &d)) return false;
  if (!(d >= 0 && d + (double)n <= kTwoPow53) || d != (double)(uint64_t)d) return false;
  *out = (uint64_t)d;
  return true;
}

bool GetUint32(napi_env env, napi_value value, uint32_t* out) {
  double d;
  if (!GetNumber(env, value, &d)) return false;
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) return false;
  *out = (uint32_t)d;
  return true;
}

unsigned DefaultThreads(napi_env env) {
  AddonData* data = nullptr;
  if (napi_get_instance_data(env, (void**)&data) != napi_ok || data == nullptr) return 1;
  return data->threads;
}

// The optional trailing `threads` argument: absent, undefined or 0 for the default.
bool GetThreads(napi_env env, size_t argc, size_t index, napi_value* argv, unsigned* out) {
  *out = DefaultThreads(env);
  if (argc <= index) return true;
  napi_valuetype t;
  if (napi_typeof(env, argv[index], &t) != napi_ok) return false;
  if (t == napi_undefined) return true;
  uint32_t v;
  if (!GetUint32(env, argv[index], &v)) return false;
  if (v > 0) *out = v > kMaxThreads ? kMaxThreads : v;
  return true;
}

// axpy(w, k0, k1, elementOffset, scale, threads?) and axpyInto(out, w, k0, k1, elementOffset, scale, threads?):
// one seed's w + scale * z, written over w or into out.
napi_value SingleSeed(napi_env env, napi_callback_info info, bool into) {
  const size_t arrays = into ? 2 : 1;
  size_t argc = arrays + 5;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < arrays + 4) {
    return Throw(env,
                 into ? "axpyInto(out, w, k0, k1, elementOffset, scale, threads?)"
                      : "axpy(w, k0, k1, elementOffset, scale, threads?)",
                 true);
  }
  void* out = nullptr;
  size_t n = 0;
  if (!GetTypedArray(env, argv[0], napi_float32_array, &out, &n)) {
    return Throw(env, into ? "out must be a Float32Array" : "w must be a Float32Array", true);
  }
  void* w = out;
  if (into) {
    size_t w_n = 0;
    if (!GetTypedArray(env, argv[1], napi_float32_array, &w, &w_n)) return Throw(env, "w must be a Float32Array", true);
    if (w_n != n) return Throw(env, "out and w must have the same length");
    const char* o = static_cast<const char*>(out);
    const char* s = static_cast<const char*>(w);
    if (n > 0 && o != s && o < s + n * sizeof(float) && s < o + n * sizeof(float)) {
      return Throw(env, "out must be w itself or not overlap it");
    }
  }
  const napi_value* rest = argv + arrays;
  uint32_t key[2];
  if (!GetUint32(env, rest[0], &key[0]) || !GetUint32(env, rest[1], &key[1])) {
    return Throw(env, "key words must be uint32 numbers");
  }
  uint64_t offset;
  if (!GetOffset(env, rest[2], n, &offset)) return Throw(env, "elementOffset must be a non-negative safe integer");
  double scale;
  if (!GetNumber(env, rest[3], &scale)) return Throw(env, "scale must be a number", true);
  unsigned threads;
  if (!GetThreads(env, argc, arrays + 4, argv, &threads)) return Throw(env, "threads must be a uint32");
  if (n == 0) return nullptr;
  RunParallel(Job{static_cast<float*>(out), static_cast<const float*>(w), n, offset, key, &scale, 1}, threads);
  return nullptr;
}

napi_value Axpy(napi_env env, napi_callback_info info) { return SingleSeed(env, info, false); }

napi_value AxpyInto(napi_env env, napi_callback_info info) { return SingleSeed(env, info, true); }

napi_value Replay(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4) {
    return Throw(env, "replay(w, keys, scales, elementOffset, threads?)", true);
  }
  void* w = nullptr;
  size_t n = 0;
  if (!GetTypedArray(env, argv[0], napi_float32_array, &w, &n)) return Throw(env, "w must be a Float32Array", true);
  void* keys = nullptr;
  size_t key_words = 0;
  if (!GetTypedArray(env, argv[1], napi_uint32_array, &keys, &key_words)) {
    return Throw(env, "keys must be a Uint32Array", true);
  }
  void* scales = nullptr;
  size_t num_seeds = 0;
  if (!GetTypedArray(env, argv[2], napi_float64_array, &scales, &num_seeds)) {
    return Throw(env, "scales must be a Float64Array", true);
  }
  if (key_words / 2 < num_seeds) return Throw(env, "keys must hold 2 words per scale");
  uint64_t offset;
  if (!GetOffset(env, argv[3], n, &offset)) return Throw(env, "elementOffset must be a non-negative safe integer");
  unsigned threads;
  if (!GetThreads(env, argc, 4, argv, &threads)) return Throw(env, "threads must be a uint32");
  if (n == 0) return nullptr;
  RunParallel(Job{static_cast<float*>(w), static_cast<const float*>(w), n, offset, static_cast<const uint32_t*>(keys),
                  static_cast<const double*>(scales), num_seeds},
              threads);
  return nullptr;
}

bool SetNamed(napi_env env, napi_value obj, const char* name, napi_value value) {
  return napi_set_named_property(env, obj, name, value) == napi_ok;
}

napi_value Info(napi_env env, napi_callback_info /*info*/) {
  napi_value obj, lanes, isa, threads, threshold;
  if (napi_create_object(env, &obj) != napi_ok) return nullptr;
  napi_create_uint32(env, (uint32_t)fk::kLanes, &lanes);
  napi_create_string_utf8(env, FK_ISA, NAPI_AUTO_LENGTH, &isa);
  napi_create_uint32(env, DefaultThreads(env), &threads);
  napi_create_uint32(env, (uint32_t)kParallelThreshold, &threshold);
  SetNamed(env, obj, "simdLanes", lanes);
  SetNamed(env, obj, "isa", isa);
  SetNamed(env, obj, "threads", threads);
  SetNamed(env, obj, "parallelThreshold", threshold);
  return obj;
}

void FreeAddonData(napi_env /*env*/, void* data, void* /*hint*/) { delete static_cast<AddonData*>(data); }

}  // namespace

NAPI_MODULE_INIT() {
  // One instance per Node environment (main thread, each worker thread, each jest module registry).
  AddonData* data = new AddonData{ConfiguredThreads()};
  if (napi_set_instance_data(env, data, FreeAddonData, nullptr) != napi_ok) {
    delete data;
    return nullptr;
  }
  const napi_property_descriptor props[] = {
      {"axpy", nullptr, Axpy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"axpyInto", nullptr, AxpyInto, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"replay", nullptr, Replay, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}
