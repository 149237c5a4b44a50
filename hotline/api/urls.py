from hotline.api import views

routes = [
    ("hotline/categories", views.CategoryViewSet),
    ("hotline/articles", views.ArticleViewSet),
    ("calls", views.CallViewSet),
    ("referrals", views.ReferralViewSet),
]
