/**
 * Production build of the web client: dist/index.html plus content-hashed files in dist/assets/,
 * all referenced under one URL prefix, /assets/ (the Node server serves them locally; an nginx
 * sidecar serves them in Kubernetes, with long cache headers because the names change with the content).
 */
const path = require('node:path');
const HtmlWebpackPlugin = require('html-webpack-plugin');
const MiniCssExtractPlugin = require('mini-css-extract-plugin');

const ASSETS_DIR = path.resolve(__dirname, 'dist/assets');

module.exports = (_env, argv) => {
  const production = argv.mode !== 'development';
  return {
    mode: production ? 'production' : 'development',
    entry: { main: './node/client/index.tsx' },
    output: {
      path: ASSETS_DIR,
      publicPath: '/assets/',
      filename: '[name].[contenthash].js',
      chunkFilename: '[name].[contenthash].js',
      clean: true,
    },
    resolve: { extensions: ['.tsx', '.ts', '.js'] },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                parser: { syntax: 'typescript', tsx: true },
                transform: { react: { runtime: 'automatic' } },
                target: 'es2020',
              },
            },
          },
        },
        { test: /\.css$/, use: [MiniCssExtractPlugin.loader, 'css-loader'] },
      ],
    },
    plugins: [
      new MiniCssExtractPlugin({ filename: '[name].[contenthash].css' }),
      // Relative to output.path: the page itself lives one level up, at dist/index.html.
      new HtmlWebpackPlugin({ template: './node/client/index.html', filename: '../index.html', inject: 'head', scriptLoading: 'defer' }),
    ],
    optimization: {
      // Vendor code (React, socket.io) changes less often than ours: a separate file stays cached across releases.
      splitChunks: { chunks: 'all', cacheGroups: { vendor: { test: /[\\/]node_modules[\\/]/, name: 'vendor' } } },
    },
    // No eval-based source maps: the CSP forbids eval, and production needs none.
    devtool: production ? false : 'source-map',
    performance: { hints: production ? 'warning' : false, maxEntrypointSize: 400 * 1024, maxAssetSize: 400 * 1024 },
    stats: 'errors-warnings',
  };
};
