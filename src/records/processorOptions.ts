import type { Settings, SourceSettings } from '../config/settings.js';
import type { ProcessorOptions } from './processBlob.js';

/**
 * The processor options for one source: its own formats when SOURCES gives it some, else the
 * global SOURCE_FORMATS catalog (or the default sniffed CSV format).
 */
export function processorOptionsFor(settings: Settings, source: SourceSettings): ProcessorOptions {
  const { maxRecordBytes, maxRejectRatio } = settings.processing;
  return { formats: source.formats ?? settings.processing.formats, maxRecordBytes, maxRejectRatio };
}
