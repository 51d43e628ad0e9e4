import { modelSpecFrom } from '../../schema/load-model-file';
import { fanOutTasks, selectHardware } from './dispatch';

const spec = modelSpecFrom('/ws', 'models/m/mlc-model.yaml', {
  source: 'org/model',
  quantizations: ['q4f16_1', 'q0f16'],
  targets: ['cpu', { name: 'mac', device: 'metal' }, 'cpu:native'],
  convTemplate: 'LM',
});

describe('dispatching compile/validate to the fan-out tasks', () => {
  it('selects by target name, then by device', () => {
    expect(selectHardware(spec, undefined)).toEqual(['cpu', 'mac', 'cpu-native']);
    expect(selectHardware(spec, 'mac')).toEqual(['mac']);
    expect(selectHardware(spec, 'metal')).toEqual(['mac']);
    expect(selectHardware(spec, 'cpu')).toEqual(['cpu']);
    expect(selectHardware(spec, 'cpu-native')).toEqual(['cpu-native']);
  });

  it('names one task per quantization', () => {
    expect(fanOutTasks({ stage: 'compile', spec }, 'metal')).toEqual(['compile--q4f16_1--mac', 'compile--q0f16--mac']);
    expect(fanOutTasks({ stage: 'validate', spec, quantization: 'q0f16' }, 'cpu')).toEqual(['validate--q0f16--cpu']);
  });

  it('says how to declare an undeclared target', () => {
    expect(() => fanOutTasks({ stage: 'compile', spec }, 'cuda')).toThrow(/"cuda" is not a hardware target of model m[\s\S]*field: targets[\s\S]*nx g nx-mlc:target/);
  });

  it('rejects a quantization the model does not have', () => {
    expect(() => fanOutTasks({ stage: 'compile', spec, quantization: 'q3f16_1' }, 'cpu')).toThrow(/q3f16_1/);
  });

  it('treats a bare org/name that is not a directory as a Hugging Face repo id, downloaded under the output dir', () => {
    expect(spec.repoId).toBe('org/model');
    expect(spec.sourceDir).toBe('dist/models/m/checkpoint');
  });
});
