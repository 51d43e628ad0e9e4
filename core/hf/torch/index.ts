/** PyTorch `.bin` checkpoints (torch.save zip archives), read lazily into TensorRefs. */
export { openTorchBin } from './torch-bin';
