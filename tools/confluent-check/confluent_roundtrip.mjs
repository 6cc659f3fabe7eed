// Cross-checks llava-stream's Avro wire format with Confluent's own serde (@confluentinc/schemaregistry), both
// ways, against a Confluent-compatible schema registry (in the tests: io.llavastream.serde.SchemaRegistryServer).
//
//   node confluent_roundtrip.mjs deserialize --registry URL --input FILE
//     FILE: one record a line, "<topic>\t<base64 of the record value>" (Confluent wire format, as Java wrote it).
//     Prints one JSON line a record: {"topic", "schema_id", "value"}, decoded with Confluent's AvroDeserializer.
//
//   node confluent_roundtrip.mjs serialize --registry URL --input FILE
//     FILE: one JSON line a record, {"topic", "schema": "<Avro schema JSON>", "value"}.
//     Registers the schema under "<topic>-value" (TopicNameStrategy) with Confluent's client, serializes the value
//     with Confluent's AvroSerializer twice (useLatestVersion, and useSchemaId with the registered id) and prints
//     {"topic", "schema_id", "latest": base64, "by_id": base64}.
//
// Why the schema is registered by hand: with autoRegisterSchemas the JS AvroSerializer registers a schema it infers
// from the plain object (records named Record1..., numbers as int/float, no unions), not the record's schema.
//
// Values as JSON ("the cross-check's JSON"): records are objects with every field; a ["null", T] union is null or
// the T value; bytes are base64; enums are their symbol; long and int are numbers; timestamp-millis is epoch ms.
// The library registers no Avro logical types by default, so avsc reads timestamp-millis as its underlying long, a
// plain number of ms; toJson() also maps Date and BigInt to numbers, should a configuration produce them.
// Longs are JS numbers: avsc refuses any beyond +-(2^53 - 2) ("potential precision loss") unless a custom long
// type is configured; the pipeline's longs (timestamps, token ids, offsets) stay far below.
import { readFileSync } from 'node:fs';
import sr from '@confluentinc/schemaregistry';

const { SchemaRegistryClient, AvroSerializer, AvroDeserializer, SerdeType } = sr;

function parseArgs(argv) {
  const [mode, ...rest] = argv;
  const opts = { mode };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i];
    if (!['--registry', '--input'].includes(key) || rest[i + 1] === undefined) {
      throw new Error(`unknown or incomplete option '${key}'; `
        + 'usage: deserialize|serialize --registry URL --input FILE');
    }
    opts[key.slice(2)] = rest[i + 1];
  }
  if (!['deserialize', 'serialize'].includes(mode) || !opts.registry || !opts.input) {
    throw new Error(`usage: deserialize|serialize --registry URL --input FILE (got mode '${mode}')`);
  }
  return opts;
}

/** A decoded Avro value as the cross-check's JSON. */
function toJson(v) {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The cross-check's JSON as a value of the avsc type {@code type}. */
function fromJson(type, v, path) {
  switch (type.typeName) {
    case 'record':
      if (v === null || typeof v !== 'object') throw new Error(`${path}: expected an object, got ${JSON.stringify(v)}`);
      return Object.fromEntries(type.fields.map((f) => [f.name, fromJson(f.type, v[f.name], `${path}.${f.name}`)]));
    case 'union:unwrapped': {
      if (v === null && type.types.some((t) => t.typeName === 'null')) return null;
      for (const t of type.types.filter((t) => t.typeName !== 'null')) {
        try {
          const x = fromJson(t, v, path);
          if (t.isValid(x)) return x;
        } catch { /* try the next branch */ }
      }
      throw new Error(`${path}: ${JSON.stringify(v)} fits no branch of ${type.types.map((t) => t.typeName)}`);
    }
    case 'array':
      return v.map((x, i) => fromJson(type.itemsType, x, `${path}[${i}]`));
    case 'map':
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(type.valuesType, x, `${path}.${k}`)]));
    case 'bytes':
    case 'fixed':
      return Buffer.from(v, 'base64');
    default:
      if (type.typeName.startsWith('logical:')) throw new Error(`${path}: logical type ${type.typeName} not handled`);
      return v;
  }
}

function lines(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

async function deserialize(client, file) {
  const deser = new AvroDeserializer(client, SerdeType.VALUE, {});
  for (const line of lines(file)) {
    const [topic, b64] = line.split('\t');
    const bytes = Buffer.from(b64, 'base64');
    const value = await deser.deserialize(topic, bytes);
    console.log(JSON.stringify({ topic, schema_id: bytes.readInt32BE(1), value: toJson(value) }));
  }
}

async function serialize(client, file) {
  for (const line of lines(file)) {
    const { topic, schema, value } = JSON.parse(line);
    const id = await client.register(`${topic}-value`, { schemaType: 'AVRO', schema });
    const latest = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const byId = new AvroSerializer(client, SerdeType.VALUE, { useSchemaId: id });
    const [type] = await latest.toType({ schemaType: 'AVRO', schema });
    const msg = fromJson(type, value, topic);
    const a = await latest.serialize(topic, msg);
    const b = await byId.serialize(topic, msg);
    console.log(JSON.stringify({ topic, schema_id: id, latest: a.toString('base64'), by_id: b.toString('base64') }));
  }
}

const opts = parseArgs(process.argv.slice(2));
const client = new SchemaRegistryClient({ baseURLs: [opts.registry], maxRetries: 0 });
try {
  await (opts.mode === 'deserialize' ? deserialize(client, opts.input) : serialize(client, opts.input));
} catch (e) {
  console.error(`confluent_roundtrip ${opts.mode} against ${opts.registry} failed: ${e.stack ?? e}`);
  process.exit(1);
}
