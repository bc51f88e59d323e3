import type { Settings, SourceSettings } from '../config/settings.js';
import type { ProcessorOptions } from './processBlob.js';

/** The processor options for one source, from the validated settings. */
export function processorOptionsFor(settings: Settings, _source: SourceSettings): ProcessorOptions {
  const { formats, maxRecordBytes, maxRejectRatio } = settings.processing;
  return { formats, maxRecordBytes, maxRejectRatio };
}
