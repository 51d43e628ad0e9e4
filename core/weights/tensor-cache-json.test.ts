import { formatTensorCache, toB16Variant, TensorCache } from './tensor-cache-json';

describe('tensor-cache.json text is what Python json.dump(indent=4) writes', () => {
  const cache: TensorCache = {
    metadata: { ParamSize: 2, ParamBytes: 8256.0, BitsPerParam: 4.5 },
    records: [
      {
        dataPath: 'params_shard_0.bin',
        format: 'raw-shard',
        nbytes: 8256,
        records: [
          { name: 'w.q_weight', shape: [64, 8], dtype: 'uint32', format: 'f32-to-bf16', nbytes: 2048, byteOffset: 0 },
          { name: 'n\u00e9', shape: [], dtype: 'float32', format: 'f32-to-bf16', nbytes: 2, byteOffset: 2048 },
        ],
        md5sum: '0123456789abcdef0123456789abcdef',
      },
    ],
  };
  test('indent 4, int vs float, ensure_ascii, no trailing newline', () => {
    const expected = [
      '{',
      '    "metadata": {',
      '        "ParamSize": 2,',
      '        "ParamBytes": 8256.0,',
      '        "BitsPerParam": 4.5',
      '    },',
      '    "records": [',
      '        {',
      '            "dataPath": "params_shard_0.bin",',
      '            "format": "raw-shard",',
      '            "nbytes": 8256,',
      '            "records": [',
      '                {',
      '                    "name": "w.q_weight",',
      '                    "shape": [',
      '                        64,',
      '                        8',
      '                    ],',
      '                    "dtype": "uint32",',
      '                    "format": "f32-to-bf16",',
      '                    "nbytes": 2048,',
      '                    "byteOffset": 0',
      '                },',
      '                {',
      '                    "name": "n\\u00e9",',
      '                    "shape": [],',
      '                    "dtype": "float32",',
      '                    "format": "f32-to-bf16",',
      '                    "nbytes": 2,',
      '                    "byteOffset": 2048',
      '                }',
      '            ],',
      '            "md5sum": "0123456789abcdef0123456789abcdef"',
      '        }',
      '    ]',
      '}',
    ].join('\n');
    expect(formatTensorCache(cache)).toBe(expected);
  });
  test('large and tiny floats use Python repr', () => {
    const text = formatTensorCache({ ...cache, metadata: { ParamSize: 2, ParamBytes: 2825584640, BitsPerParam: 1e-5 } });
    expect(text).toContain('"ParamBytes": 2825584640.0,');
    expect(text).toContain('"BitsPerParam": 1e-05');
  });
  test('the b16 variant declares float32 records as raw bfloat16', () => {
    const b16 = toB16Variant(cache);
    expect(b16.records[0].records[1]).toEqual({ name: 'n\u00e9', shape: [], dtype: 'bfloat16', format: 'raw', nbytes: 2, byteOffset: 2048 });
    expect(b16.records[0].records[0].dtype).toBe('uint32');
  });
});
