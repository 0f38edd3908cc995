#!/usr/bin/env node
// A small random LLaMA checkpoint for the torch port: src/make-tiny-llama.ts, compiled.
require('./launch.cjs')('make-tiny-llama');
