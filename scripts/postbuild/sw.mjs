// Post-build step 'sw' (see scripts/postbuild.mjs). Not written yet: does nothing.
export async function run(build) {
  return 'nothing to do yet';
}
