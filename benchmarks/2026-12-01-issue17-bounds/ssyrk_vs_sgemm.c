// ssyrk (upper) against sgemm for S = A Aᵀ, E = 128: bits of the upper triangle, symmetry of sgemm's S, time.
// gcc -O2 ssyrk_vs_sgemm.c -o t -lopenblas && OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=2 ./t
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  int ns[]={7,64,128,200,256,512,1024}; int d=128;
  for(int t=0;t<7;t++){int n=ns[t];
    float*a=malloc(n*d*4),*g=malloc(n*n*4),*s=malloc(n*n*4);
    srand(n); for(int i=0;i<n*d;i++) a[i]=(rand()/(float)RAND_MAX-0.5f)*0.2f;
    cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,n,d,1,a,d,a,d,0,g,n);
    memset(s,0,n*n*4);
    cblas_ssyrk(CblasRowMajor,CblasUpper,CblasNoTrans,n,d,1,a,d,0,s,n);
    int diff=0; for(int i=0;i<n;i++)for(int j=i;j<n;j++) if(memcmp(&g[i*n+j],&s[i*n+j],4)) diff++;
    int asym=0; for(int i=0;i<n;i++)for(int j=i;j<n;j++) if(memcmp(&g[i*n+j],&g[j*n+i],4)) asym++;
    double t0=now(); for(int r=0;r<50;r++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,n,d,1,a,d,a,d,0,g,n);
    double t1=now(); for(int r=0;r<50;r++) cblas_ssyrk(CblasRowMajor,CblasUpper,CblasNoTrans,n,d,1,a,d,0,s,n);
    double t2=now();
    printf("n=%d upper diffs %d asym %d gemm %.1f us syrk %.1f us\n",n,diff,asym,(t1-t0)/50*1e6,(t2-t1)/50*1e6);
  }
}
