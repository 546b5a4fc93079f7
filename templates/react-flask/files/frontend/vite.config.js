import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// Dev server on this app's reserved frontend port; /api goes to its reserved backend port.
export default defineConfig({
  plugins: [react()],
  server: {
    host: true,
    port: {{frontend_port}},
    strictPort: true,
    proxy: {
      '/api': {
        target: process.env.VITE_BACKEND_URL || 'http://localhost:{{backend_port}}',
        changeOrigin: true,
      },
    },
  },
  preview: {
    port: {{frontend_port}},
    strictPort: true,
  },
})
