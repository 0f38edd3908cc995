# The native perturbation engine (N-API, no npm dependencies). Built by scripts/build-native.cjs:
#   npm run build:native -w @fedkseed/zo
# Bit-identity with the TypeScript reference needs IEEE float32 arithmetic exactly as written: no FMA
# contraction (-ffp-contract=off), no -ffast-math. -march defaults to the building machine's CPU;
# FEDKSEED_NATIVE_MARCH overrides it (e.g. x86-64-v3 for images that run on other hosts, or "none").
# The kernel uses GCC vector extensions: GCC (or clang) only; elsewhere the build fails and the package
# falls back to the reference engine.
{
  'variables': {
    'fedkseed_march%': '<!(node -p "process.env.FEDKSEED_NATIVE_MARCH || \'native\'")',
  },
  'targets': [
    {
      'target_name': 'fedkseed_perturb',
      'sources': ['fedkseed_perturb.cc'],
      'defines': ['NAPI_VERSION=8'],
      'cflags!': ['-O2', '-ffast-math'],
      'cflags_cc!': ['-fno-exceptions', '-O2', '-ffast-math'],
      'cflags': ['-O3', '-ffp-contract=off', '-fno-fast-math'],
      # -fschedule-insns -fsched-pressure: GCC's pre-allocation scheduler interleaves the kernel's
      # independent dependency chains (about 1.3x on Zen 3); they do not change any result.
      'cflags_cc': ['-fexceptions', '-O3', '-ffp-contract=off', '-fno-fast-math', '-fschedule-insns', '-fsched-pressure'],
      'conditions': [
        ['(target_arch=="x64" or target_arch=="ia32") and fedkseed_march!="none"', {
          'cflags_cc': ['-march=<(fedkseed_march)'],
        }],
        ['OS=="mac"', {
          'xcode_settings': {
            'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
            'GCC_OPTIMIZATION_LEVEL': '3',
            'OTHER_CPLUSPLUSFLAGS': ['-ffp-contract=off', '-fno-fast-math'],
          },
        }],
      ],
    },
  ],
}
