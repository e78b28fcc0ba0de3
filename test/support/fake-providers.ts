// The fake wearable clouds live with the scripts: `npm run demo` starts one too.
export * from '../../scripts/fakes/providers';
