/** A remote blob store (S3-compatible today): what the local store fetches from and pushes to. */
export interface RemoteStore {
  /** Human-readable location, for messages (e.g. s3://bucket/prefix). */
  readonly description: string;
  /** Size of the blob if the remote has it. */
  stat(sha256: string): Promise<{ size: number } | undefined>;
  /** Upload a local file that is known to hash to `sha256`; resumes an interrupted upload of it. */
  upload(file: string, sha256: string, opts?: TransferOptions): Promise<void>;
  /**
   * Download the blob into `dest` (which may hold a partial earlier attempt); the caller verifies the
   * hash before trusting the file.
   */
  download(sha256: string, dest: string, opts?: TransferOptions): Promise<void>;
}

export interface TransferOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}
