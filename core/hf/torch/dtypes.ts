import { SourceDType } from '../tensor-ref';

/**
 * How torch names element types in a checkpoint, mapped onto safetensors dtype names.
 * Two spellings occur: the legacy storage classes of the persistent id (`torch.BFloat16Storage`,
 * also `torch.cuda.HalfStorage` in files saved from a GPU by torch < 1.13), and `torch.<dtype>`
 * globals passed to `_rebuild_tensor_v3` for dtypes that have no storage class (float8, uint16...).
 * `null` marks a type torch has but we cannot convert (complex, quantized, fnuz float8, sub-byte bits).
 */

/** Legacy storage class name → element dtype. */
export const STORAGE_CLASS_DTYPES: Record<string, SourceDType | null> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  ComplexDoubleStorage: null,
  ComplexFloatStorage: null,
  QUInt8Storage: null,
  QInt8Storage: null,
  QInt32Storage: null,
  QUInt4x2Storage: null,
  QUInt2x4Storage: null,
};

/** `torch.<name>` dtype object → element dtype. */
export const TORCH_DTYPES: Record<string, SourceDType | null> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float8_e4m3fn: 'F8_E4M3',
  float8_e5m2: 'F8_E5M2',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  uint16: 'U16',
  uint32: 'U32',
  uint64: 'U64',
  bool: 'BOOL',
  float8_e4m3fnuz: null,
  float8_e5m2fnuz: null,
  float8_e8m0fnu: null,
  float4_e2m1fn_x2: null,
  complex32: null,
  complex64: null,
  complex128: null,
  quint8: null,
  qint8: null,
  qint32: null,
  quint4x2: null,
  quint2x4: null,
  bits1x8: null,
  bits2x4: null,
  bits4x2: null,
  bits8: null,
  bits16: null,
};

/** Modules a storage class may be pickled from. */
export const STORAGE_MODULES = new Set(['torch', 'torch.cuda']);
