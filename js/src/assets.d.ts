// Files the bundler inlines as text (esbuild's "text" loader, see build.mjs).
declare module "*.html" {
  const text: string;
  export default text;
}
