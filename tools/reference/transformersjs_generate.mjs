#!/usr/bin/env node
// Independent reference harness: runs transformers.js (@huggingface/transformers, pinned in
// package.json) on an exported llava-stream model directory (Hugging Face / transformers.js
// layout) so that Java tests can compare greedy tokens and preprocessing with our runtime.
//
// Usage:
//   node transformersjs_generate.mjs --model DIR --cases CASES.jsonl [--max-new-tokens N] [--threads T]
//   node transformersjs_generate.mjs --model DIR --cases CASES.jsonl --pixels
//
// CASES.jsonl: one JSON object per line: {"image": "/abs/path.png", "prompt": "USER: <image>\n... ASSISTANT:"}
// (extra fields are ignored; "prompt" is not needed with --pixels). Relative image paths are
// resolved against the directory of CASES.jsonl.
//
// Output (stdout, one JSON object per line; diagnostics go to stderr):
//   generate mode: {"image","prompt","input_ids","pixel_values_sha","token_ids","text","top2"}
//   --pixels mode: {"image","dims","pixel_values_sha","data"}   (one line per distinct image)
// See README.md for field definitions.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

import {
    env,
    AutoProcessor,
    LlavaForConditionalGeneration,
    LogitsProcessor,
    RawImage,
} from '@huggingface/transformers';

function usage(msg) {
    if (msg) process.stderr.write(`error: ${msg}\n`);
    process.stderr.write(
        'usage: node transformersjs_generate.mjs --model DIR --cases CASES.jsonl [--max-new-tokens N] [--threads T] [--pixels]\n',
    );
    process.exit(2);
}

function parseArgs(argv) {
    const args = { model: null, cases: null, maxNewTokens: null, pixels: false, threads: 1 };
    for (let i = 0; i < argv.length; ++i) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) usage(`missing value for ${a}`);
            return argv[++i];
        };
        switch (a) {
            case '--model':
                args.model = next();
                break;
            case '--cases':
                args.cases = next();
                break;
            case '--max-new-tokens':
                args.maxNewTokens = Number.parseInt(next(), 10);
                if (!Number.isInteger(args.maxNewTokens) || args.maxNewTokens < 1) usage('--max-new-tokens must be >= 1');
                break;
            case '--threads':
                args.threads = Number.parseInt(next(), 10);
                if (!Number.isInteger(args.threads) || args.threads < 1) usage('--threads must be >= 1');
                break;
            case '--pixels':
                args.pixels = true;
                break;
            case '-h':
            case '--help':
                usage();
                break;
            default:
                usage(`unknown argument ${a}`);
        }
    }
    if (!args.model) usage('--model is required');
    if (!args.cases) usage('--cases is required');
    return args;
}

function readCases(casesPath, needPrompt) {
    const baseDir = path.dirname(path.resolve(casesPath));
    const lines = readFileSync(casesPath, 'utf8').split('\n');
    const cases = [];
    lines.forEach((line, idx) => {
        if (line.trim() === '') return;
        let obj;
        try {
            obj = JSON.parse(line);
        } catch (e) {
            throw new Error(`${casesPath}:${idx + 1}: invalid JSON: ${e.message}`);
        }
        if (typeof obj.image !== 'string') throw new Error(`${casesPath}:${idx + 1}: missing "image"`);
        if (needPrompt && typeof obj.prompt !== 'string') throw new Error(`${casesPath}:${idx + 1}: missing "prompt"`);
        cases.push({
            image: obj.image,
            imagePath: path.isAbsolute(obj.image) ? obj.image : path.resolve(baseDir, obj.image),
            prompt: obj.prompt,
        });
    });
    return cases;
}

/** sha256 over the raw little-endian bytes of a typed array (float32 for pixel_values). */
function sha256Of(typedArray) {
    const bytes = new Uint8Array(typedArray.buffer, typedArray.byteOffset, typedArray.byteLength);
    return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Identity logits processor that records, for every generation step, the two largest values of the
 * (final, post-processing) next-token scores the greedy sampler takes the argmax of. It is appended
 * after transformers.js's own processors; for our generation_config (no repetition penalty,
 * min length, suppress tokens, ...) that list is empty, so these are the raw decoder logits.
 */
class Top2Recorder extends LogitsProcessor {
    constructor() {
        super();
        this.steps = [];
    }

    _call(input_ids, logits) {
        // logits: Tensor [batch, vocab]; batch is always 1 here.
        const [batch, vocab] = logits.dims;
        if (batch !== 1) throw new Error(`expected batch 1, got ${batch}`);
        const data = logits.data;
        let i1 = -1;
        let i2 = -1;
        for (let i = 0; i < vocab; ++i) {
            const v = data[i];
            // Strict '>' keeps the first index on ties, like transformers.js's max() used by GreedySampler.
            if (i1 < 0 || v > data[i1]) {
                i2 = i1;
                i1 = i;
            } else if (i2 < 0 || v > data[i2]) {
                i2 = i;
            }
        }
        this.steps.push({ argmax: i1, top2: [data[i1], i2 >= 0 ? data[i2] : null] });
        return logits;
    }
}

function toNumberArray(tensor) {
    return Array.from(tensor.data, (x) => Number(x));
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const modelDir = path.resolve(args.model);

    // Local files only; never touch the network or a cache directory.
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useBrowserCache = false;
    env.useFSCache = false;
    // Absolute paths are not valid HF model ids, so transformers.js reads them directly from disk
    // (localModelPath is not prepended). Set it anyway for clarity.
    env.localModelPath = path.dirname(modelDir);

    const cases = readCases(args.cases, !args.pixels);

    const processor = await AutoProcessor.from_pretrained(modelDir);

    if (args.pixels) {
        const seen = new Set();
        for (const c of cases) {
            if (seen.has(c.imagePath)) continue;
            seen.add(c.imagePath);
            const image = await RawImage.read(c.imagePath);
            const { pixel_values } = await processor.image_processor(image);
            process.stdout.write(
                JSON.stringify({
                    image: c.image,
                    dims: pixel_values.dims,
                    pixel_values_sha: sha256Of(pixel_values.data),
                    data: Array.from(pixel_values.data),
                }) + '\n',
            );
        }
        return;
    }

    const model = await LlavaForConditionalGeneration.from_pretrained(modelDir, {
        dtype: 'fp32',
        device: 'cpu',
        session_options: {
            intraOpNumThreads: args.threads,
            interOpNumThreads: 1,
            executionMode: 'sequential',
        },
    });

    const maxNewTokens = args.maxNewTokens ?? model.generation_config?.max_new_tokens ?? 32;

    for (const c of cases) {
        const image = await RawImage.read(c.imagePath);
        const inputs = await processor(image, c.prompt);
        const promptIds = toNumberArray(inputs.input_ids);

        const recorder = new Top2Recorder();
        const sequences = await model.generate({
            ...inputs,
            max_new_tokens: maxNewTokens,
            do_sample: false,
            num_beams: 1,
            logits_processor: [recorder],
        });

        const all = toNumberArray(sequences);
        if (sequences.dims[0] !== 1) throw new Error(`unexpected batch in output: ${sequences.dims}`);
        const tokenIds = all.slice(promptIds.length);
        if (tokenIds.length !== recorder.steps.length) {
            throw new Error(`token/score count mismatch: ${tokenIds.length} tokens vs ${recorder.steps.length} steps`);
        }
        recorder.steps.forEach((s, i) => {
            if (s.argmax !== tokenIds[i]) {
                throw new Error(`step ${i}: recorded argmax ${s.argmax} != generated token ${tokenIds[i]}`);
            }
        });

        process.stdout.write(
            JSON.stringify({
                image: c.image,
                prompt: c.prompt,
                input_ids: promptIds,
                pixel_values_sha: sha256Of(inputs.pixel_values.data),
                token_ids: tokenIds,
                text: processor.tokenizer.decode(tokenIds, { skip_special_tokens: true }),
                top2: recorder.steps.map((s) => s.top2),
            }) + '\n',
        );
    }

    await model.dispose();
}

// A closed stdout (e.g. piped into `head`) ends the run quietly instead of crashing.
process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
});

main().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
});
