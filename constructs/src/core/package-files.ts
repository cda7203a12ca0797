/**
 * Files the package ships beside its code. This module sits one folder below the package root in
 * both layouts (src/core in the repository, dist/core once built), so the root is two levels up.
 */
import { join, resolve } from 'node:path';

export const PACKAGE_ROOT = resolve(__dirname, '..', '..');

/** The gateway config JSON Schema, exactly what `warden config schema` prints. */
export const CONFIG_SCHEMA_FILE = join(PACKAGE_ROOT, 'warden-config.schema.json');

/**
 * The gateway image's Docker build context (Dockerfile, prebuilt gateway bundle, console assets,
 * the manifest of the packages the bundle leaves external). Staged by the package build.
 */
export const IMAGE_CONTEXT_DIR = join(PACKAGE_ROOT, 'gateway-image');
