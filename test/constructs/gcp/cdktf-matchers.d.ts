/**
 * Types for the matchers `Testing.setupJest()` installs. cdktf declares them on `jest.Matchers<R>`,
 * which no longer merges with @types/jest 30's `Matchers<R, T>`.
 */
import type { TerraformConstructor } from 'cdktf/lib/testing/matchers';

declare global {
  namespace jest {
    interface Matchers<R, T> {
      toHaveResource(resourceConstructor: TerraformConstructor): R;
      toHaveResourceWithProperties(
        resourceConstructor: TerraformConstructor,
        properties: Record<string, unknown>,
      ): R;
      toHaveDataSourceWithProperties(
        dataSourceConstructor: TerraformConstructor,
        properties: Record<string, unknown>,
      ): R;
    }
  }
}
