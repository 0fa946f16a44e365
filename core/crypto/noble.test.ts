import { noblePrimitives } from './noble.ts';
import { runPrimitivesContract } from './primitives.contract.ts';

runPrimitivesContract('noble', async () => noblePrimitives);
